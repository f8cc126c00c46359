/**
 * The `gitlab:` config section (contract.md "Config keys": url, token, webhookSecret) plus the
 * GitLab 19.0 signing token (gitlab.md §1.2) and card/command tuning. Owned here, composed by
 * src/config/sections.ts.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

export const gitlabConfigSchema = z
  .strictObject({
    /** Instance base URL, e.g. https://gitlab.example.com (the API is `<url>/api/v4`). */
    url: z.url({ error: 'gitlab.url is the instance base URL, e.g. https://gitlab.example.com' }),
    /** API token (PAT/project/group access token) sent as PRIVATE-TOKEN; `api` scope for retry/cancel. */
    token: nonEmpty,
    /** The hook's "Secret token", compared with X-Gitlab-Token (gitlab.md §1.2). */
    webhookSecret: nonEmpty.optional(),
    /** The hook's "Signing token" (GitLab 19.0+, `whsec_<base64>`): verifies `webhook-signature`. */
    signingToken: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { error: 'signingToken looks like whsec_<base64>, as GitLab shows it' })
      .optional(),
    /** Allowed |now − webhook-timestamp| for signed deliveries (Standard Webhooks default). */
    signatureToleranceSeconds: z.number().int().positive().default(300),
    /** Refs whose pipelines get failure/recovery cards. Default: the project's default branch, else main/master. */
    watchedRefs: z.array(nonEmpty).optional(),
    /** How many pipelines `/gitlab pipelines` shows. */
    pipelinesListSize: z.number().int().min(1).max(50).default(5),
    /** API request timeout. */
    fetchTimeoutMs: z.number().int().positive().default(10_000),
  })
  .refine((c) => c.webhookSecret !== undefined || c.signingToken !== undefined, {
    error: 'set gitlab.webhookSecret (the hook\'s secret token) or gitlab.signingToken: unauthenticated webhooks are refused',
    path: ['webhookSecret'],
  });

export type GitlabConfig = z.infer<typeof gitlabConfigSchema>;

/**
 * `products.<id>.releasesFromTags` (issue #8 §5): a new tag on a component's project registers that
 * component version; a tag matching `pattern` on `component` (default: any component) also makes a
 * product release named by the tag, pinning the other components to their latest registered tag.
 */
export const releasesFromTagsSchema = z.strictObject({
  /** Only tags on this component's project make a product release (others only register versions). */
  component: nonEmpty.optional(),
  /** Regex a tag must match to count (default: semver-like `v1.2.3`). */
  pattern: z
    .string()
    .default('^v?\\d+\\.\\d+\\.\\d+')
    .refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, { error: 'pattern is not a valid regular expression' }),
});
export type ReleasesFromTags = z.infer<typeof releasesFromTagsSchema>;

/** Keys to spread into `sectionSchemas.productExtras` (src/config/sections.ts). */
export const gitlabProductExtras = { releasesFromTags: releasesFromTagsSchema.optional() };
