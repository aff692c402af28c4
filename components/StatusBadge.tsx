// A run or task status as a coloured badge.

/** Props of {@linkcode StatusBadge}. */
export interface StatusBadgeProps {
  status: string;
}

/** Shows PENDING, RUNNING, SUCCESS, FAILURE, SKIPPED or CANCELLED. */
export function StatusBadge({ status }: StatusBadgeProps) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}
