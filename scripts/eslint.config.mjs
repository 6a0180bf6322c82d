// ESLint for src/ and test/ (type-checked) and the .mjs scripts; `npm run lint` runs it with
// Prettier's check. It lives here rather than at the top level, whose entries are fixed.
import js from "@eslint/js";
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";

const root = fileURLToPath(new URL("..", import.meta.url));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "build-example/**", "test/golden/**", "test/fixtures/**", "arv-image-*/**"] },
  {
    files: ["src/**/*.ts", "test/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      // Every promise is awaited or handled: a dropped one hides a failure (or a Packer still running).
      "@typescript-eslint/no-floating-promises": "error",
      // A switch over a union handles every member (build results, clouds, Packer line kinds).
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Matching control characters is the point where it happens: refusing and escaping them.
      "no-control-regex": "off",
    },
  },
  {
    // Tests read JSON documents (--json output, request logs, server state) and assert on their
    // shape: the assertion is the type check there, so values typed `any` by JSON.parse may be
    // read without casting each one. Everything else applies to tests as to src/.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["scripts/**/*.mjs", "test/**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        fetch: "readonly",
        URLSearchParams: "readonly",
        structuredClone: "readonly",
        queueMicrotask: "readonly",
        setImmediate: "readonly",
      },
    },
    rules: { "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }], "no-control-regex": "off" },
  },
);
