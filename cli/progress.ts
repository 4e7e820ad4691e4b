/** Progress goes to stderr so that stdout carries only results (e.g. the kubeconfig path). */
export const stderrLog = (line: string) => process.stderr.write(`${line}\n`)
