"""The pages whose work spans domains: merges, deletions, invitations, test announcements."""
