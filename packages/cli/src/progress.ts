import type { Ora, Options as OraOptions } from 'ora';

/**
 * Progress on stderr: an ora spinner on a TTY (records, MB, rate, ETA when the
 * size is known), plain lines every few seconds otherwise, nothing with --quiet.
 */
export class Progress {
  private spinner: Ora | null = null;
  private timer: NodeJS.Timeout | null = null;
  private bytes = 0;
  private records = 0;
  private readonly t0 = Date.now();

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly mode: 'tty' | 'plain' | 'quiet',
    private readonly totalBytes = 0,
    private readonly ora: ((o: OraOptions) => Ora) | null = null,
  ) {}

  static async for(stream: NodeJS.WritableStream & { isTTY?: boolean }, quiet: boolean, totalBytes: number): Promise<Progress> {
    const mode = quiet ? 'quiet' : stream.isTTY ? 'tty' : 'plain';
    // ora and its terminal-width tables load only for a spinner (≈ 50 ms of imports that a slice
    // worker, a --quiet run or a log file does not need)
    return new Progress(stream, mode, totalBytes, mode === 'tty' ? (await import('ora')).default : null);
  }

  start(): void {
    if (this.mode === 'tty' && this.ora) {
      this.spinner = this.ora({ text: this.text(), stream: this.stream as NodeJS.WritableStream as any, discardStdin: false }).start();
      this.timer = setInterval(() => this.spinner && (this.spinner.text = this.text()), 200);
    } else if (this.mode === 'plain') {
      this.timer = setInterval(() => this.stream.write(`scrubline: ${this.text()}\n`), 5000);
    }
    this.timer?.unref();
  }

  addBytes(n: number): void {
    this.bytes += n;
  }

  addRecords(n: number): void {
    this.records += n;
  }

  line(message: string): void {
    if (this.mode === 'quiet') return;
    if (this.spinner) this.spinner.clear();
    this.stream.write(message + '\n');
    if (this.spinner) this.spinner.render();
  }

  stop(ok: boolean, message: string): void {
    if (this.timer) clearInterval(this.timer);
    if (this.mode === 'quiet') return;
    if (this.spinner) {
      if (ok) this.spinner.succeed(message);
      else this.spinner.fail(message);
    } else {
      this.stream.write(`scrubline: ${message}\n`);
    }
  }

  private text(): string {
    const s = (Date.now() - this.t0) / 1000;
    const mb = this.bytes / 1e6;
    const rate = s > 0 ? mb / s : 0;
    let t = `${this.records.toLocaleString('en-US')} records read, ${mb.toFixed(1)} MB, ${rate.toFixed(1)} MB/s`;
    if (this.totalBytes > 0 && rate > 0) {
      const pct = Math.min(100, (100 * this.bytes) / this.totalBytes);
      const eta = (this.totalBytes / 1e6 - mb) / rate;
      t += `, ${pct.toFixed(0)}%, ETA ${Math.max(0, eta).toFixed(0)} s`;
    }
    return t;
  }
}
