enum _PlaceholderSluiceHTTP {}
