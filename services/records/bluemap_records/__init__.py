"""Records service: enterprises, government records and the built-in identity provider."""
