/**
 * The training layer's error types, so the CLI can map each to its exit code without parsing
 * messages: {@link UsageError} and {@link RunSetupError} (exit 2: something the user can fix)
 * and {@link DivergedError} (exit 3: the run became non-finite).
 * @module
 */

/**
 * A bad command line or configuration (training flags, a sweep's grid file): the message is one
 * line naming the flag or file. Thrown by the CLI's parsers and by the sweep and compare drivers.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A run cannot start or continue because of something the user can fix: a bad `--resume_path`,
 * a changed option on resume, a run directory in use, an unwritable `--output_dir`, a results
 * CSV with other columns, a corrupt checkpoint or `--init_from` file. The message is one line
 * naming the flag or file.
 */
export class RunSetupError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "RunSetupError";
  }
}

/** Training stopped because the loss, the test loss or the weights became NaN or infinite. */
export class DivergedError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "DivergedError";
  }
}

/** The first line of an error's message (file-system errors can carry several). */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
