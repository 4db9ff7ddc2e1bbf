/* A tiny element builder: text always goes through textContent (append of a string),
 * never HTML. attrs.on is the click handler; any other key is an attribute. */
export const element = (tag, attrs, children) => {
  const node = document.createElement(tag);
  for (const name in attrs || {}) {
    if (name == "on") node.addEventListener("click", attrs.on);
    else node.setAttribute(name, attrs[name]);
  }
  (children || []).forEach((child) => node.append(child));
  return node;
};
