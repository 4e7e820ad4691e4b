// Command remotedialer-bench runs Rancher's tunnel (rancher/remotedialer) the way Rancher's /k8s/clusters proxy
// uses it, for bench/proxy.ts to measure next to drover:
//
//	remotedialer-bench server -upstream https://127.0.0.1:6443 -ca ca.pem -cert admin.pem -key admin-key.pem \
//	  [-impersonate-user bench -impersonate-group ops]
//	remotedialer-bench client -connect ws://127.0.0.1:PORT/connect -id bench
//
// The server prints "listening 127.0.0.1:PORT" on stdout once it accepts connections. It serves the tunnel at
// /connect (the client names itself with the X-Tunnel-ID header), /ready (200 once a client for -id is
// connected) and /k8s/clusters/<id>/<path> through an httputil.ReverseProxy whose transport dials through the
// tunnel session and does TLS to the apiserver over the dialed connection with the given client certificate.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rancher/remotedialer"
	"github.com/sirupsen/logrus"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: remotedialer-bench server|client [flags]"))
	}
	logrus.SetLevel(logrus.WarnLevel)
	switch os.Args[1] {
	case "server":
		fail(server(os.Args[2:]))
	case "client":
		fail(client(os.Args[2:]))
	default:
		fail(fmt.Errorf("unknown mode %q: use server or client", os.Args[1]))
	}
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "remotedialer-bench:", err)
		os.Exit(1)
	}
}

func server(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	upstream := fs.String("upstream", "", "apiserver URL as the client reaches it (https://host:port)")
	caFile := fs.String("ca", "", "apiserver CA (PEM)")
	certFile := fs.String("cert", "", "client certificate (PEM)")
	keyFile := fs.String("key", "", "client key (PEM)")
	user := fs.String("impersonate-user", "", "user every proxied request runs as (Rancher impersonates its user)")
	var groups multiFlag
	fs.Var(&groups, "impersonate-group", "a group of that user (repeatable)")
	_ = fs.Parse(args)
	target, err := url.Parse(*upstream)
	if err != nil || target.Scheme != "https" || target.Host == "" {
		return fmt.Errorf("-upstream must be an https URL, got %q", *upstream)
	}
	tlsConfig, err := clientTLS(*caFile, *certFile, *keyFile, target.Hostname())
	if err != nil {
		return err
	}

	tunnel := remotedialer.New(func(req *http.Request) (string, bool, error) {
		id := req.Header.Get("X-Tunnel-ID")
		return id, id != "", nil
	}, remotedialer.DefaultErrorWriter)

	mux := http.NewServeMux()
	mux.Handle("/connect", tunnel)
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if tunnel.HasSession(r.URL.Query().Get("id")) {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	var mu sync.Mutex
	proxies := map[string]*httputil.ReverseProxy{}
	mux.HandleFunc("/k8s/clusters/", func(w http.ResponseWriter, r *http.Request) {
		id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/k8s/clusters/"), "/")
		if !tunnel.HasSession(id) {
			http.Error(w, fmt.Sprintf("cluster %q is not connected", id), http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		p, ok := proxies[id]
		if !ok {
			p = clusterProxy(target, id, tunnel.Dialer(id), tlsConfig, *user, groups)
			proxies[id] = p
		}
		mu.Unlock()
		p.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	return http.Serve(ln, mux)
}

// clusterProxy is one cluster's proxy, as Rancher keeps one per cluster: the transport dials through the
// tunnel and does TLS over the dialed connection, and the request runs as the given user through impersonation
// (Rancher authenticates its user and impersonates them with its own credential in the cluster). Its pool is sized for the bench's 64 concurrent clients so
// the figure measures the tunnel, not connection churn.
func clusterProxy(target *url.URL, id string, dial remotedialer.Dialer, tlsConfig *tls.Config, user string, groups []string) *httputil.ReverseProxy {
	prefix := "/k8s/clusters/" + id
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, prefix)
			pr.Out.URL.RawPath = ""
			pr.Out.Header.Del("Authorization")
			for k := range pr.Out.Header {
				if strings.HasPrefix(strings.ToLower(k), "impersonate-") {
					pr.Out.Header.Del(k)
				}
			}
			if user != "" {
				pr.Out.Header.Set("Impersonate-User", user)
				for _, g := range groups {
					pr.Out.Header.Add("Impersonate-Group", g)
				}
			}
		},
		Transport: &http.Transport{
			DialContext:         func(ctx context.Context, network, addr string) (net.Conn, error) { return dial(ctx, network, addr) },
			TLSClientConfig:     tlsConfig,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func clientTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading -ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("-ca %s holds no PEM certificate", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading -cert/-key: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: serverName}, nil
}

func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	connect := fs.String("connect", "", "the server's tunnel URL (ws://host:port/connect)")
	id := fs.String("id", "", "the id this client connects as")
	_ = fs.Parse(args)
	if *connect == "" || *id == "" {
		return errors.New("client needs -connect and -id")
	}
	headers := http.Header{"X-Tunnel-ID": {*id}}
	allow := func(proto, address string) bool { return proto == "tcp" }
	// ClientConnect returns when the connection ends and waits 5 s after a failure; reconnect like Rancher's agent.
	for {
		_ = remotedialer.ClientConnect(context.Background(), *connect, headers, nil, allow, nil)
	}
}
