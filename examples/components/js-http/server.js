// A wasi:http component in JavaScript (componentize-js, StarlingMonkey): a fetch event handler. API Gateway
// and Function URL events reach it as HTTP requests; its Response becomes the API Gateway result. Its own
// fetch() calls go out through wasi:http, to the hosts the function's allowedHosts lists and nowhere else.
// Build: open-runtime build HttpComponentJs.
addEventListener('fetch', (event) => event.respondWith(route(event.request)));

async function route(request) {
  const url = new URL(request.url);
  console.log(`${request.method} ${url.pathname}`);
  if (url.pathname === '/echo' && request.method === 'POST') {
    const body = await request.text();
    return json(200, { echo: body, contentType: request.headers.get('content-type') });
  }
  if (url.pathname.startsWith('/hello')) {
    const name = url.searchParams.get('name') ?? 'world';
    return new Response(`Hello, ${name}!`, { headers: { 'content-type': 'text/plain; charset=utf-8', 'set-cookie': 'visited=1' } });
  }
  if (url.pathname === '/fetch') {
    const target = url.searchParams.get('url');
    try {
      const upstream = await fetch(target);
      return json(200, { status: upstream.status, body: await upstream.text() });
    } catch (error) {
      return json(502, { message: `fetch ${target} failed: ${error.message}` });
    }
  }
  return json(404, { message: `No route for ${request.method} ${url.pathname}` });
}

function json(status, value) {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
}
