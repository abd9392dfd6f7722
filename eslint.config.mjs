// ESLint (flat config): TypeScript's recommended rules tuned to this code's conventions, and the import boundaries of the pure core.

import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Folders whose code does I/O: the pure core may not import them. */
const IO_LAYERS = ["adapters", "daemon", "resources", "status", "http", "cli"];

/**
 * The rule that keeps appliance/src/cluster/ and appliance/src/protocol/ pure (DESIGN.md): no
 * node:* or bare Node built-in modules, no npm packages, nothing from the I/O layers. Only
 * relative imports of the core itself (and config/ types) remain. `allowNode` lists node:*
 * modules a file may still use, each with the reason in the config below.
 */
function pureCoreImports(allowNode = []) {
  const allowed = allowNode.map((m) => m.replace(/[/]/g, "\\/")).join("|");
  return [
    "error",
    {
      patterns: [
        {
          regex: allowed ? `^node:(?!(${allowed})$)` : "^node:",
          message: "the cluster core and protocol are pure: no node:* modules (time comes in events, I/O goes out as actions; adapters do the rest)",
        },
        {
          regex: "^(?!node:)[^.]",
          message: "the cluster core and protocol are pure: no Node built-in modules without node: and no npm packages (only relative imports)",
        },
        {
          regex: `(^|/)(${IO_LAYERS.join("|")})(/|$)`,
          message: `the cluster core and protocol may not import the I/O layers (${IO_LAYERS.join(", ")}/): they depend on the core, never the other way`,
        },
      ],
    },
  ];
}

export default tseslint.config(
  {
    ignores: [".out/**", "dist/**", "node_modules/**", "image/work/**", "lab-artifacts/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
    },
    rules: {
      // tsc (strict, noUnusedLocals/Parameters) already reports these, with the same `_` convention.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // CommonJS by design (the single executable runs one CommonJS script): require() of
      // optional or run-time-resolved modules (node:sea, build tools) is deliberate.
      "@typescript-eslint/no-require-imports": "off",
      // A comment may need a zero-width space (`test-pair/*<U+200B>/ha.d` must not close it).
      "no-irregular-whitespace": ["error", { skipComments: true }],
    },
  },
  {
    // Tests check program output for terminal escapes (ESC, \x1b): matching control characters is their job.
    files: ["appliance/test/**/*.ts", "scripts/**/*.test.ts", "build/**/*.test.ts"],
    rules: { "no-control-regex": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { require: "readonly", process: "readonly", module: "readonly", __dirname: "readonly", console: "readonly" } },
  },
  {
    files: ["appliance/src/cluster/**/*.ts", "appliance/src/protocol/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": pureCoreImports() },
  },
  {
    // Heartbeat's HMAC digests (sha1, md5) are a pure function of bytes; node:crypto computes them
    // synchronously, with no I/O, clock or randomness. Any other node:* module stays forbidden here.
    files: ["appliance/src/protocol/message-auth.ts"],
    rules: { "no-restricted-imports": pureCoreImports(["crypto"]) },
  },
);
