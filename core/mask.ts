/** Show that a secret is set without showing it: "sk-…wxyz" (short secrets are fully hidden). */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return '(none)';
  if (secret.length < 16) return '****';
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
