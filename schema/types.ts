import { customType } from 'drizzle-orm/pg-core';

/**
 * PostgreSQL `xid8`: a 64-bit transaction id. Carried as a decimal string, because it can
 * exceed Number.MAX_SAFE_INTEGER and is only ever compared in SQL.
 */
export const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => 'xid8',
});
