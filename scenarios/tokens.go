package scenarios

import (
	"fmt"
	"io"

	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"
)

// The YAML library's parser takes time and memory quadratic in the nesting
// depth (32,000 nested brackets, 64 KB of text, take it 3 s and 1.6 GB of
// allocations) and in the number of keys of a block mapping (it recurses
// once per key and copies the keys after it: 10,000 keys take it 0.5 s);
// 8,000 documents take it 0.5 s of CPU; and it allocates about 600 bytes
// per token. So memstorm tokenizes the text itself,
// with the library's own scanner (no second opinion on what a token is),
// and refuses a file nested too deep or made of too many tokens before the
// parser sees it.

// Bounds on the YAML structure of a scenario file.
const (
	// MaxDepth is how deep collections may nest: the top mapping, phases,
	// a phase, ten levels of groups, allocate, size, buckets and a bucket
	// come to 27.
	MaxDepth = 64
	// MaxTokens is how many YAML tokens (keys, values, punctuation,
	// comments) a file may hold; the built-ins have a few hundred each.
	MaxTokens = 1 << 15
	// MaxKeys is how many keys one block mapping may hold: a scenario's
	// mappings have at most a few dozen (env has at most 64).
	MaxKeys = 1 << 10
	// maxDocHeaders is how many document markers (---) a file may hold:
	// a scenario is one document, and decodeText names a second one.
	maxDocHeaders = 16
)

// tokenize scans text into the tokens parser.Parse takes, refusing a file
// nested deeper than MaxDepth or longer than MaxTokens at the token that
// crosses the bound. It stops at the first invalid token, which the parser
// then reports.
func tokenize(text string) (token.Tokens, error) {
	var s scanner.Scanner
	s.Init(text)
	var toks token.Tokens
	var n nesting
	headers := 0
	for {
		sub, err := s.Scan()
		if err == io.EOF {
			return toks, nil
		}
		for _, tk := range sub {
			if len(toks) == MaxTokens {
				return nil, tokenErr(tk, fmt.Sprintf("want at most %d YAML tokens (keys, values, punctuation and comments) in a scenario, got more", MaxTokens))
			}
			depth, keys := n.add(tk)
			if depth > MaxDepth {
				return nil, tokenErr(tk, fmt.Sprintf("want collections nested at most %d deep, got deeper", MaxDepth))
			}
			if keys > MaxKeys {
				return nil, tokenErr(n.prev, fmt.Sprintf("want at most %d keys in a mapping, got more", MaxKeys))
			}
			if tk.Type == token.DocumentHeaderType {
				if headers++; headers > maxDocHeaders {
					return nil, tokenErr(tk, fmt.Sprintf("want one YAML document, got more than %d document markers (---)", maxDocHeaders))
				}
			}
			toks.Add(tk)
		}
		if err != nil {
			return toks, nil
		}
	}
}

// tokenErr is a ScenarioError at a token.
func tokenErr(tk *token.Token, msg string) *ScenarioError {
	e := &ScenarioError{Msg: msg}
	if tk.Position != nil {
		e.Line, e.Col = tk.Position.Line, tk.Position.Column
	}
	return e
}

// nesting follows how deep the tokens so far are nested: flow collections
// by their brackets, block collections by the columns at which their
// entries start (an entry further right than the open collection's opens a
// nested one; one further left closes collections). A block sequence may
// share the column of the mapping it is a value of, so block depth can be
// undercounted by half; the bound holds all the same.
type nesting struct {
	flow  int
	block []int // columns of the open block collections, increasing
	keys  []int // keys seen at each column of block
	prev  *token.Token
}

// add takes the next token and returns the depth it stands at, and for a
// block mapping's ':' how many keys its mapping has so far.
func (n *nesting) add(tk *token.Token) (depth, keys int) {
	switch tk.Type {
	case token.SequenceStartType, token.MappingStartType:
		n.flow++
	case token.SequenceEndType, token.MappingEndType:
		n.flow = max(n.flow-1, 0)
	case token.DocumentHeaderType, token.DocumentEndType:
		n.flow, n.block, n.keys = 0, n.block[:0], n.keys[:0]
	case token.SequenceEntryType, token.MappingKeyType:
		if n.flow == 0 {
			n.open(column(tk))
		}
	case token.MappingValueType:
		if n.flow == 0 && n.prev != nil {
			n.open(column(n.prev)) // where the key starts
			n.keys[len(n.keys)-1]++
			keys = n.keys[len(n.keys)-1]
		}
	}
	if tk.Type != token.CommentType && (tk.Type != token.MappingValueType || n.flow > 0) {
		n.prev = tk
	}
	return n.flow + len(n.block), keys
}

// open records a block entry starting at col.
func (n *nesting) open(col int) {
	for len(n.block) > 0 && n.block[len(n.block)-1] > col {
		n.block, n.keys = n.block[:len(n.block)-1], n.keys[:len(n.keys)-1]
	}
	if len(n.block) == 0 || n.block[len(n.block)-1] < col {
		n.block, n.keys = append(n.block, col), append(n.keys, 0)
	}
}

func column(tk *token.Token) int {
	if tk.Position == nil {
		return 0
	}
	return tk.Position.Column
}
