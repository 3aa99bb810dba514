"""Building blocks shared by the app's pages: store and staging access with caching, the
offline pyvis network, entity pickers, exports, and the SQL behind the statistics."""
