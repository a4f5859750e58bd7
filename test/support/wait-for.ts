/**
 * Resolves once `condition` holds, checking it again at every turn of the event loop: no
 * wall-clock delay to guess, it waits exactly as long as the work takes, however fast or slow
 * the machine. If the condition never holds, the test fails on its timeout.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise<void>((resolve) => setImmediate(resolve));
}
