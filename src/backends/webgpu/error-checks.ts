/// <reference types="@webgpu/types" />
/**
 * Turns WebGPU's asynchronous error reporting into JS errors that name the kernel. Shaders cannot throw and
 * WebGPU reports validation errors on the device timeline, so:
 *  - always: uncaptured errors and device loss are remembered and thrown by the next op or read;
 *  - debug mode (MTGRAD_WEBGPU_DEBUG=1): every pipeline creation and every dispatch runs in its own error scope
 *    (the recorder then submits after each dispatch, since encoder errors only appear at finish()), and `read`
 *    awaits those scopes and throws the first error together with the kernel's name.
 */
export class ErrorChecks {
  private firstError: string | null = null;
  private scopes: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    readonly debug: boolean,
  ) {
    device.addEventListener('uncapturederror', (event) => {
      const message = (event as GPUUncapturedErrorEvent).error.message;
      this.firstError ??= `webgpu: ${message} (set MTGRAD_WEBGPU_DEBUG=1 to name the kernel)`;
    });
  }

  deviceLost(message: string): void {
    this.firstError ??= `webgpu: device lost: ${message}`;
  }

  begin(): void {
    if (!this.debug) return;
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
  }

  end(what: string): void {
    if (!this.debug) return;
    for (let i = 0; i < 3; i++) {
      this.scopes.push(
        this.device.popErrorScope().then((error) => {
          if (error) this.firstError ??= `webgpu: error in ${what}: ${error.message}`;
        }),
      );
    }
  }

  /** Throws the first error seen so far (synchronous part: for ops). */
  throwIfFailed(): void {
    if (this.firstError) throw new Error(this.firstError);
  }

  /** Waits for the pending debug scopes, then throws the first error seen. */
  async settle(): Promise<void> {
    if (this.scopes.length) {
      const scopes = this.scopes;
      this.scopes = [];
      await Promise.all(scopes);
    }
    this.throwIfFailed();
  }
}
