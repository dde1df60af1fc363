/**
 * `process.exit()` inside `NetNS.do()`: the process (or worker) emits `'exit'` and ends without
 * unwinding the stack, so the switch back that `do()` guarantees would come too late for the
 * `'exit'` handlers, which would run inside the target namespace. This first `'exit'` listener
 * switches the thread back to where its outermost `do()` started before the others run.
 * A listener added later with `process.prependListener('exit')` runs before it, still inside.
 */
import { isSupported, native } from './native';

function restoreThread(): void {
  try {
    native.restoreThreadNs();
  } catch {
    // Nothing to restore, or it failed and the native side stopped the process.
  }
}

if (isSupported()) process.prependListener('exit', restoreThread);
