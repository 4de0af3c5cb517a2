// What a phase started (processes, servers, temp dirs, Redis keys), released in reverse order even when the phase
// fails half-way.
export class Resources {
  #closers = [];

  /** Registers `close` and returns `value`. */
  add(value, close) {
    this.#closers.push(close);
    return value;
  }

  async release() {
    const closers = this.#closers.splice(0).reverse();
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        process.stderr.write(`[bench] cleanup: ${err.message}\n`);
      }
    }
  }
}
