/** A start-up failure whose cause and remedy are known: one line for the operator, no stack trace. */
export class StartupError extends Error {}
