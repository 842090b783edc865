// D1 with retries for transient errors, as Cloudflare's D1 guide recommends for writes. Under `wrangler
// dev` they are real: a reader of the local database file (the wrangler inspector's `d1 execute --local`)
// can make workerd's D1 answer "internal error" to a query that ran beside it. Only the failed statement
// (or batch, which is atomic) is retried, never a whole request.

const TRANSIENT = /internal error|SQLITE_BUSY|database is locked|Network connection lost|object to be reset/i;
const ATTEMPTS = 5;

async function retried(action) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= ATTEMPTS || !TRANSIENT.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (1 + Math.random())));
    }
  }
}

function statement(inner) {
  return {
    inner,
    bind: (...values) => statement(inner.bind(...values)),
    run: () => retried(() => inner.run()),
    all: () => retried(() => inner.all()),
    first: (column) => retried(() => (column === undefined ? inner.first() : inner.first(column))),
  };
}

/** `db` with the same prepare/bind/run/all/first/batch API, each call retried on transient errors. */
export function retryingD1(db) {
  return {
    prepare: (sql) => statement(db.prepare(sql)),
    batch: (statements) => retried(() => db.batch(statements.map((s) => s.inner))),
  };
}
