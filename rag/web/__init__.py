"""The web app: layout (page), behaviour (handlers), rendering (render, article), launch checks
and assets."""
