/* A rating question's options: a radio group of buttons, one per score, with the
 * keyboard of a radio group (roving tabindex). */
import { element } from "./dom.js";
import { OUT_OF, THUMBS_DOWN, THUMBS_UP } from "./strings.js";

/* Where a key moves the focus from option `at` of `count` (wrapping around), or null. */
const moveTo = (key, at, count) => {
  if (/Right|Down/.test(key)) return at + 1;
  if (/Left|Up/.test(key)) return at - 1;
  if (key == "Home") return 0;
  if (key == "End") return count - 1;
  return null;
};

/* The group and its options, from `first` to `last` score (thumbs count down: 1 = up). */
export const ratingGroup = (kind, [first, last], strings, choose, root) => {
  const thumbs = kind == "thumbs";
  const group = element("div", { class: "r", role: "radiogroup", "aria-labelledby": "q" });
  const options = [];
  const up = first < last;
  for (let score = first; up ? score <= last : score >= last; up ? score++ : score--) {
    const label = thumbs
      ? strings[score ? THUMBS_UP : THUMBS_DOWN]
      : strings[OUT_OF].replace("{n}", score).replace("{m}", last);
    options.push(
      element(
        "button",
        {
          role: "radio",
          "aria-checked": "false",
          tabindex: options.length ? "-1" : "0",
          "aria-label": label,
          on: () => choose(score),
        },
        [thumbs ? (score ? "👍" : "👎") : String(score)]
      )
    );
  }
  group.append(...options);
  // Arrow keys move within the group (roving tabindex); Enter or Space chooses.
  group.addEventListener("keydown", (event) => {
    const at = options.indexOf(root.activeElement);
    const to = moveTo(event.key, at, options.length);
    if (to == null || at < 0) return;
    event.preventDefault();
    const target = options[(to + options.length) % options.length];
    options.forEach((option) => {
      option.tabIndex = option == target ? 0 : -1;
      option.setAttribute("aria-checked", option == target);
    });
    target.focus();
  });
  return { group, first: options[0] };
};
