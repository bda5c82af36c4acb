import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ORDER_TRANSITIONS, lifecycleDiagram, orderMoveAllowed, shipmentMoveAllowed } from '@redthread/kit';
import { orderStatus } from '@redthread/schema';

describe('the order life cycle', () => {
  it('the README shows the diagrams rendered from the transition table', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(lifecycleDiagram());
  });

  it('names only statuses that exist, and every status is reachable or a start', () => {
    const statuses = new Set<string>(orderStatus.enumValues);
    const reached = new Set<string>(['PENDING_REVIEW', 'PENDING_ACCEPTANCE', 'DRAFT']);
    for (const [move, transition] of Object.entries(ORDER_TRANSITIONS)) {
      for (const from of transition.from) expect(statuses.has(from), `${move} from ${from}`).toBe(true);
      if (transition.to !== 'HELD_FROM') {
        expect(statuses.has(transition.to), `${move} to ${transition.to}`).toBe(true);
        reached.add(transition.to);
      }
    }
    expect([...statuses].filter((s) => !reached.has(s))).toEqual([]);
  });

  it('nothing leaves a final status, and a dispatched shipment cannot be cancelled', () => {
    for (const status of ['COMPLETED', 'CANCELLED', 'REJECTED'] as const) {
      for (const move of Object.keys(ORDER_TRANSITIONS) as (keyof typeof ORDER_TRANSITIONS)[]) {
        expect(orderMoveAllowed(move, status), `${move} from ${status}`).toBe(false);
      }
    }
    expect(orderMoveAllowed('cancel', 'PARTIALLY_SHIPPED')).toBe(false);
    expect(shipmentMoveAllowed('cancel', 'DISPATCHED')).toBe(false);
    expect(shipmentMoveAllowed('dispatch', 'TO_PICK')).toBe(false);
  });
});
