// Command rewards-ferretdb runs FerretDB embedded, as a MongoDB-wire test server.
//
// Built as a dependency of this module because `go install .../cmd/ferretdb`
// panics at start without a generated version.txt (FerretDB issue #2982).
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // the /debug/pprof handlers, served only with --debug-addr
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	dataDir := flag.String("data", "", "existing directory for the SQLite backend")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql backend")
	debugAddr := flag.String("debug-addr", "", "serve Go's /debug/pprof here (off when empty)")
	flag.Parse()

	if *debugAddr != "" {
		// Where the server's CPU goes (benchmarks/ferretdb_cpu.py): FerretDB's embedded package
		// has no debug handler of its own. Listening before the wire port opens means the
		// handler is up once the server answers, and a taken port stops the start.
		debug, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			log.Fatal(err)
		}
		go func() { log.Printf("debug handler: %v", http.Serve(debug, nil)) }()
	}

	conf := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		if *dataDir == "" {
			log.Fatal("--data is required with the sqlite handler")
		}
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			log.Fatal(err)
		}
		dir := *dataDir
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
		conf.SQLiteURL = "file:" + dir
	case "postgresql":
		conf.PostgreSQLURL = *pgURL
	default:
		log.Fatalf("unknown handler %q", *handler)
	}

	f, err := ferretdb.New(conf)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("ferretdb listening on %s (%s)", *listen, *handler)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
