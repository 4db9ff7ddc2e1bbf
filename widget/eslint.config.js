// ESLint flat config: src/ is browser code in ES modules (bundled by esbuild into two
// IIFEs), scripts/ and this file run in Node.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["src/**/*.js"],
    languageOptions: {
      ecmaVersion: 2019, // the build's target: esbuild would lower newer syntax into bigger code
      sourceType: "module",
      globals: globals.browser,
    },
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      "no-restricted-globals": ["error", "event", "name", "status", "length"], // implicit window properties
    },
  },
  {
    files: ["scripts/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: globals.node },
  },
];
