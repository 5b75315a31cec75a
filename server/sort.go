package server

import "sort"

func sortClients(cs []*Client) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
}
