/**
 * The one error type of the data layer.
 * @module
 */

/**
 * A dataset could not be read: files missing, truncated or corrupt, or an unknown name.
 * The message is one line that names the file (and the byte offset where it went wrong,
 * or where to get the missing files), so a CLI can print it as is.
 */
export class DatasetError extends Error {
  /**
   * An error whose message is shown to the user as it is.
   * @param message one line naming the flag or file and what was expected
   */
  constructor(message: string) {
    // One line, always: a reader's multi-line cause would break a CLI's one-line report.
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "DatasetError";
  }
}
