"""Pure processing of article records: cleaning (sanitized HTML and text), merging share
answers into articles, and the similarity that near-duplicate detection rests on."""
