/**
 * The process: load config (fail fast with file + YAML path), build the bot, listen, handle SIGTERM.
 * With the console chat on, stdout carries the chat and logs go to stderr.
 */
import { createOpsbot } from './app.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { createLogger } from './log.ts';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(2);
    }
    throw err;
  }
  const { config, file, secrets } = loaded;
  const consoleOn = config.chat.console !== false;
  const log = createLogger({ level: config.log.level, secrets, destination: consoleOn ? process.stderr : process.stdout });
  const bot = await createOpsbot({ config, log, secrets });
  const server = await bot.start({ port: config.server.port, host: config.server.host });
  const addr = server?.address();
  const port = addr && typeof addr === 'object' ? addr.port : config.server.port;
  log.info({ config: file, port, host: config.server.host, storage: config.storage.driver, locale: config.locale }, 'opsbot ready');
  if (consoleOn) process.stderr.write(`opsbot 已启动：http://${config.server.host}:${port}/healthz — 在此输入命令，如 /help\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight work');
    try {
      await bot.stop();
    } catch (err) {
      log.error({ err }, 'error while stopping');
    }
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`opsbot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
