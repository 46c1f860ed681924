export { createCli, globals, runCli, type CliOptions, type GlobalOptions, type Streams } from './program.js';
export { ExitCode, OperationError, UsageError } from './errors.js';
export { formatJson, formatTable } from './output.js';
export { Command, Option, Argument } from 'commander';
