import { withInput } from '@redthread/kit';
import type { TypeResolvers } from '../generated/resolvers';
import { proposeLink, setShareRule, setSupplyPrice, transitionLink } from '../services/links';
import { createProduct, updateProduct } from '../services/products';
import type { accessMutations } from './access';

/**
 * Catalog mutations; each returns a result union (the object or a typed failure). The access
 * mutations (API keys, invitations, members) are in ./access.
 */
export const Mutation: Omit<TypeResolvers<'Mutation'>, keyof typeof accessMutations> = {
  createProduct: withInput(createProduct),
  updateProduct: withInput(updateProduct),
  proposeLink: withInput(proposeLink),
  acceptLink: async (_, args, ctx) => transitionLink(await ctx.tx(), ctx.identity, args.id, 'accept'),
  rejectLink: async (_, args, ctx) => transitionLink(await ctx.tx(), ctx.identity, args.id, 'reject', args.reason),
  suspendLink: async (_, args, ctx) => transitionLink(await ctx.tx(), ctx.identity, args.id, 'suspend', args.reason),
  resumeLink: async (_, args, ctx) => transitionLink(await ctx.tx(), ctx.identity, args.id, 'resume'),
  endLink: async (_, args, ctx) => transitionLink(await ctx.tx(), ctx.identity, args.id, 'end', args.reason),
  setSupplyPrice: withInput(setSupplyPrice),
  setShareRule: withInput(setShareRule),
};
