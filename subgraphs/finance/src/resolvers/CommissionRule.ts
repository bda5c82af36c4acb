import type { TypeResolvers } from '../generated/resolvers';
import { optionalReference, reference } from './shared';

/** A commission rule between a payer and an earner (any earner when none). */
export const CommissionRule: TypeResolvers<'CommissionRule'> = {
  payer: (r) => reference(r.payerPartnerId),
  earner: (r) => optionalReference(r.earnerPartnerId),
};
