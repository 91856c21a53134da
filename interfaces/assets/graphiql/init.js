// Mounts GraphiQL on the page served by GET /graphql. The endpoint is the page's own path, so
// the page works wherever it is served; the headers editor starts with what the server put in
// data-headers (the demo's Authorization header). (`?query=` is not read: on GET /graphql it
// runs the query instead of serving this page.)
(function () {
  var root = document.getElementById('graphiql');
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var props = { fetcher: fetcher, shouldPersistHeaders: false, defaultEditorToolsVisibility: true };
  var headers = root.getAttribute('data-headers');
  if (headers) {
    props.headers = headers;
    props.defaultEditorToolsVisibility = 'headers';
  }
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
