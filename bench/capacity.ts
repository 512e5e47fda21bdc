export default async function capacity(_argv: string[]): Promise<number> {
  return 0
}
