/** The ssocket version, printed by `--version` and the HTTP status. */
export const VERSION = "0.1.0";
