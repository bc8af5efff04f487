"""Text for people: Vietnamese number formats (fmt), interface strings (i18n), folding diacritics (fold)."""
