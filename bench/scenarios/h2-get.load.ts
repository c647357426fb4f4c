// HTTP/2 vs HTTP/1.1 over TLS (bench/http2.mjs): a bare GET against an https server that offers
// both; H2=0 in the environment turns HTTP/2 off (http2: false).
import { scenario } from 'loadlens';

export const h2Get = scenario({
  load: { vus: 64, duration: '10s' },
  http: { insecureSkipTLSVerify: true, http2: process.env.H2 !== '0' },
  async iteration({ http }) {
    await http.get('/');
  },
});
