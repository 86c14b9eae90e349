/** One user action that can be taken back: `apply` does (or re-does) it, `revert` takes it back. */
export interface Command {
  label: string
  apply(): Promise<void>
  revert(): Promise<void>
}

/**
 * Undo and redo over commands that write to the study at once. Operations run one after another (a fast
 * Ctrl+Z Ctrl+Z must not revert two things at the same time), and a command that fails to apply is not
 * recorded, so the stack never claims a change the database does not hold.
 */
export class CommandStack {
  private readonly done: Command[] = []
  private undone: Command[] = []
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly limit = 200,
    private readonly onChange: () => void = () => {}
  ) {}

  get canUndo(): boolean {
    return this.done.length > 0
  }

  get canRedo(): boolean {
    return this.undone.length > 0
  }

  get undoLabel(): string | null {
    return this.done.at(-1)?.label ?? null
  }

  get redoLabel(): string | null {
    return this.undone.at(-1)?.label ?? null
  }

  /**
   * Runs a new command after those already queued. It is built when its turn comes, so what it reads
   * (the fields it will restore on undo) already holds what the commands before it wrote.
   */
  execute(build: () => Command): Promise<void> {
    return this.enqueue(async () => {
      const command = build()
      await command.apply()
      this.done.push(command)
      if (this.done.length > this.limit) this.done.shift()
      this.undone = []
    })
  }

  /** Takes back the last command; resolves to its label, or null when there was nothing to undo. */
  undo(): Promise<string | null> {
    return this.enqueue(async () => {
      const command = this.done.at(-1)
      if (!command) return null
      await command.revert()
      this.done.pop()
      this.undone.push(command)
      return command.label
    })
  }

  redo(): Promise<string | null> {
    return this.enqueue(async () => {
      const command = this.undone.at(-1)
      if (!command) return null
      await command.apply()
      this.undone.pop()
      this.done.push(command)
      return command.label
    })
  }

  clear(): void {
    this.done.length = 0
    this.undone = []
    this.onChange()
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation)
    this.queue = run.catch(() => undefined)
    return run.finally(() => this.onChange())
  }
}
