enum _PlaceholderSluiceServer {}
