enum _PlaceholderSluiceSQL {}
