/**
 * Parsed and validated operation documents by their text, for WebSocket subscribe messages: every
 * subscriber of a screen sends the same document, and validating it again for each (the rules walk
 * the whole document against the schema) was most of the gateway's and the subgraphs' work while
 * thousands of subscribers connected. Documents are immutable once parsed, so subscribers share one.
 * Bounded: the least recently used goes first. A document that does not parse is not kept (its
 * error is thrown on every try, with its location).
 */
export class ValidatedDocuments<Document, ValidationError> {
  readonly #entries = new Map<string, { document: Document; errors: readonly ValidationError[] }>();

  constructor(
    private readonly check: (source: string) => { document: Document; errors: readonly ValidationError[] },
    /** Documents kept at most. */
    private readonly max = 1000,
    /** Longer documents are checked every time, never kept. */
    private readonly maxLength = 32 * 1024,
  ) {}

  /** The document for `source` and its validation errors (none: valid); throws what parsing throws. */
  get(source: string): { document: Document; errors: readonly ValidationError[] } {
    const known = this.#entries.get(source);
    if (known) {
      this.#entries.delete(source);
      this.#entries.set(source, known);
      return known;
    }
    const checked = this.check(source);
    if (source.length <= this.maxLength) {
      this.#entries.set(source, checked);
      if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return checked;
  }
}
