// @ts-check
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".tmp/**", "bin/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The pure core must stay free of GitHub and Azure SDKs: adapters feed it.
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@actions/*"],
              message: "src/core is pure: GitHub access belongs in src/adapters/github.",
            },
            { group: ["@azure/*"], message: "src/core is pure: Azure access belongs in src/adapters/azure." },
            {
              group: ["**/adapters/**", "**/engine/**", "**/action/**", "**/cli/**"],
              message: "src/core must not depend on outer layers.",
            },
          ],
        },
      ],
    },
  },
);
