/** Placeholder body for a tool whose issue has not landed: says so and exits 2. */
export function notAvailableYet(tool: string): never {
  process.stderr.write(`${tool}: this command is not available yet in ulnet\n`);
  process.exit(2);
}
