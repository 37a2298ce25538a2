"""Operations that span domains: shop and program merges, account deletion."""
