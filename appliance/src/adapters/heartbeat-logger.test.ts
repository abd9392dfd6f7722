// HeartbeatLogger: reopening after logrotate, live reconfiguration, the debug level.

import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HeartbeatLogger } from "./heartbeat-logger";

/** Waits for queued file writes to reach the disk (streams write asynchronously). */
async function flushed(logger: HeartbeatLogger): Promise<void> {
  await logger.close();
}

describe("HeartbeatLogger", () => {
  it("after logrotate renamed the file, reopen() writes to a new file by the same name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-logger-"));
    try {
      const path = join(dir, "ha-log");
      const logger = new HeartbeatLogger({ logfile: path });
      logger.log("info", "before rotation");
      await new Promise((r) => setTimeout(r, 20));
      renameSync(path, `${path}.1`);
      logger.log("info", "still into the renamed file");
      logger.reopen();
      logger.log("info", "after reopen");
      await flushed(logger);
      const rotated = readFileSync(`${path}.1`, "utf8");
      const fresh = readFileSync(path, "utf8");
      assert.match(rotated, /before rotation/);
      assert.match(rotated, /still into the renamed file/);
      assert.doesNotMatch(rotated, /after reopen/);
      assert.match(fresh, /info: after reopen/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reconfigure() moves to new files and a new debug level; setDebugLevel never goes below 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-logger-"));
    try {
      const logger = new HeartbeatLogger({ logfile: join(dir, "a.log"), debugLevel: 0 });
      logger.log("debug", "hidden");
      logger.reconfigure({ logfile: join(dir, "b.log"), debugfile: join(dir, "debug.log"), debugLevel: 1 });
      assert.equal(logger.debugLevel, 1);
      logger.log("debug", "shown in debugfile");
      logger.log("info", "into b");
      logger.setDebugLevel(-3);
      assert.equal(logger.debugLevel, 0);
      await flushed(logger);
      assert.equal(readFileSync(join(dir, "a.log"), "utf8"), "");
      assert.match(readFileSync(join(dir, "b.log"), "utf8"), /into b/);
      assert.doesNotMatch(readFileSync(join(dir, "b.log"), "utf8"), /shown in debugfile/);
      assert.match(readFileSync(join(dir, "debug.log"), "utf8"), /debug: shown in debugfile/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
