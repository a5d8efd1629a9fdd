enum _PlaceholderSluiceExpr {}
