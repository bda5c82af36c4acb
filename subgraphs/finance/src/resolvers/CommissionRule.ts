import type { CommissionRuleRow } from '../services/rules';
import { ref } from './shared';

/** A commission rule between a payer and an earner. */
export const CommissionRule = {
  payer: (r: CommissionRuleRow) => ref(r.payerPartnerId),
  earner: (r: CommissionRuleRow) => ref(r.earnerPartnerId),
};
