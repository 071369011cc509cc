// `oslo.db/api` for the SQL reference: wrap_db_retry re-runs a call that raised one of the errors
// it is told to retry (oslo_db/api.py): DBDeadlock with retry_on_deadlock, DBConnectionError with
// retry_on_disconnect, RetryRequest with retry_on_request, or what exception_checker accepts; at
// most max_retries times, then the error. The waits are skipped: the reference runs one call at
// a time, so waiting changes nothing it can see.
import { DBConnectionError, DBDeadlock, RetryRequest } from './oslo-exception.js';

export interface WrapDbRetryOptions {
  retry_interval?: number;
  max_retries?: number;
  inc_retry_interval?: boolean;
  max_retry_interval?: number;
  retry_on_disconnect?: boolean;
  retry_on_deadlock?: boolean;
  retry_on_request?: boolean;
  exception_checker?: (e: unknown) => boolean;
}

export function wrap_db_retry(opts: WrapDbRetryOptions = {}) {
  const { max_retries = 20, retry_on_disconnect = false, retry_on_deadlock = false, retry_on_request = false, exception_checker = () => false } = opts;
  const retriable = (e: unknown) =>
    (retry_on_deadlock && e instanceof DBDeadlock) ||
    (retry_on_disconnect && e instanceof DBConnectionError) ||
    (retry_on_request && e instanceof RetryRequest) ||
    exception_checker(e);
  return <F extends (...args: any[]) => any>(f: F): F => {
    // sync stays sync and async stays async: the retry loop follows what `f` answers
    function wrapped(this: unknown, ...args: unknown[]): unknown {
      const attempt = (n: number): unknown => {
        const again = (e: unknown) => {
          // max_retries -1 retries forever, as oslo.db
          if (!retriable(e) || (max_retries !== -1 && n >= max_retries)) throw e;
          return attempt(n + 1);
        };
        let result: unknown;
        try {
          result = f.apply(this, args);
        } catch (e) {
          return again(e);
        }
        return result instanceof Promise ? result.catch(again) : result;
      };
      return attempt(0);
    }
    return wrapped as unknown as F;
  };
}
