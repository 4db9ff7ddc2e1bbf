/* The demo shop's payment page, made a little broken on purpose so the friction signals
 * have something to show: "Apply coupon" does nothing on every other click (a dead click,
 * or a rage click when clicked again), and the card number must be 16 digits (a form error). */
(function () {
  var button = document.getElementById("apply-coupon");
  var out = document.getElementById("coupon-result");
  var clicks = 0;
  var form = document.getElementById("pay-form");
  if (form) {
    // The card number never goes into a URL: the demo only moves on to the next step.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      location.href = form.action;
    });
  }
  if (button && out) {
    button.addEventListener("click", function () {
      clicks += 1;
      if (clicks % 2 === 0) out.textContent = "Coupon DEMO10 applied: −10%";
    });
  }
})();
