// GNU getopt(3) as glibc behaves by default (argument permutation, clustered flags, "--"), for cl_status's sub-commands.

/** One step of option parsing: an option character (or `?` after an error) and its argument. */
export interface GetoptStep {
  /** The option letter, or `?` for an unknown option or a missing argument. */
  readonly opt: string;
  readonly arg?: string;
  /** glibc's diagnostic for `?` steps, without the newline (`listnodes: invalid option -- 'x'`). */
  readonly error?: string;
}

/**
 * Walks `argv` (argv[0] is the program name used in messages) the way glibc's getopt does
 * with an optstring that starts with neither `+` nor `-` and POSIXLY_CORRECT unset: options
 * may come after operands (they are permuted), `-abc` is three flags, a `:` letter takes the
 * rest of its word or the next word, and `--` ends the options. `posixlyCorrect` stops at
 * the first operand instead. Steps come one at a time, so a caller that gives up at the
 * first bad option prints only that one diagnostic, as a C program looping on getopt does.
 */
export class GnuGetopt {
  readonly #argv: readonly string[];
  readonly #optstring: string;
  readonly #posixly: boolean;
  #index = 1;
  /** Position inside a cluster like `-mv` (0 = not inside one). */
  #charIndex = 0;
  readonly #operands: string[] = [];
  #done = false;

  constructor(argv: readonly string[], optstring: string, options: { posixlyCorrect?: boolean } = {}) {
    this.#argv = argv;
    this.#optstring = optstring;
    this.#posixly = options.posixlyCorrect ?? false;
  }

  /** The next option, or undefined when there are no more (then `operands` is complete). */
  next(): GetoptStep | undefined {
    const argv = this.#argv;
    const prog = argv[0] ?? "";
    while (!this.#done) {
      if (this.#charIndex === 0) {
        if (this.#index >= argv.length) {
          this.#done = true;
          break;
        }
        const word = argv[this.#index]!;
        if (word === "--") {
          this.#operands.push(...argv.slice(this.#index + 1));
          this.#done = true;
          break;
        }
        if (!word.startsWith("-") || word === "-") {
          if (this.#posixly) {
            this.#operands.push(...argv.slice(this.#index));
            this.#done = true;
            break;
          }
          this.#operands.push(word);
          this.#index++;
          continue;
        }
        this.#charIndex = 1;
      }
      const word = argv[this.#index]!;
      const c = word[this.#charIndex]!;
      this.#charIndex++;
      const atEnd = this.#charIndex >= word.length;
      const at = c === ":" ? -1 : this.#optstring.indexOf(c);
      if (at < 0) {
        if (atEnd) this.#advanceWord();
        return { opt: "?", error: `${prog}: invalid option -- '${c}'` };
      }
      if (this.#optstring[at + 1] !== ":") {
        if (atEnd) this.#advanceWord();
        return { opt: c };
      }
      // Takes an argument: the rest of this word, else the next word (whatever it looks like).
      if (!atEnd) {
        const arg = word.slice(this.#charIndex);
        this.#advanceWord();
        return { opt: c, arg };
      }
      this.#advanceWord();
      if (this.#index < argv.length) {
        const arg = argv[this.#index]!;
        this.#index++;
        return { opt: c, arg };
      }
      return { opt: "?", error: `${prog}: option requires an argument -- '${c}'` };
    }
    return undefined;
  }

  /** Operands (non-option words) in order; complete once next() returned undefined. */
  get operands(): readonly string[] {
    return this.#operands;
  }

  #advanceWord(): void {
    this.#index++;
    this.#charIndex = 0;
  }
}
