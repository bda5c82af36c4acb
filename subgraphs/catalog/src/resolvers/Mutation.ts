import type { CatalogContext } from '../context';
import {
  proposeLink,
  setShareRule,
  setSupplyPrice,
  transitionLink,
  type ProposeLinkInput,
  type SetShareRuleInput,
  type SetSupplyPriceInput,
} from '../services/links';
import { createProduct, updateProduct, type CreateProductInput, type UpdateProductInput } from '../services/products';

type LinkArgs = { id: string; reason?: string | null };

/** Catalog mutations; each returns a result union (the object or a typed failure). */
export const Mutation = {
  createProduct: async (_: unknown, args: { input: CreateProductInput }, ctx: CatalogContext) =>
    createProduct(await ctx.tx(), ctx.identity, args.input),
  updateProduct: async (_: unknown, args: { input: UpdateProductInput }, ctx: CatalogContext) =>
    updateProduct(await ctx.tx(), ctx.identity, args.input),
  proposeLink: async (_: unknown, args: { input: ProposeLinkInput }, ctx: CatalogContext) =>
    proposeLink(await ctx.tx(), ctx.identity, args.input),
  acceptLink: async (_: unknown, args: LinkArgs, ctx: CatalogContext) =>
    transitionLink(await ctx.tx(), ctx.identity, args.id, 'accept'),
  rejectLink: async (_: unknown, args: LinkArgs, ctx: CatalogContext) =>
    transitionLink(await ctx.tx(), ctx.identity, args.id, 'reject', args.reason),
  suspendLink: async (_: unknown, args: LinkArgs, ctx: CatalogContext) =>
    transitionLink(await ctx.tx(), ctx.identity, args.id, 'suspend', args.reason),
  resumeLink: async (_: unknown, args: LinkArgs, ctx: CatalogContext) =>
    transitionLink(await ctx.tx(), ctx.identity, args.id, 'resume'),
  endLink: async (_: unknown, args: LinkArgs, ctx: CatalogContext) =>
    transitionLink(await ctx.tx(), ctx.identity, args.id, 'end', args.reason),
  setSupplyPrice: async (_: unknown, args: { input: SetSupplyPriceInput }, ctx: CatalogContext) =>
    setSupplyPrice(await ctx.tx(), ctx.identity, args.input),
  setShareRule: async (_: unknown, args: { input: SetShareRuleInput }, ctx: CatalogContext) =>
    setShareRule(await ctx.tx(), ctx.identity, args.input),
};
