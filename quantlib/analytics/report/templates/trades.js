// Trade list filters: symbol text, side, date range; rows come from an inline JSON block.
(function () {
  "use strict";
  function money(value, digits) {
    return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  document.querySelectorAll(".trade-list").forEach(function (list) {
    var data = JSON.parse(list.querySelector(".trade-data").textContent);
    var body = list.querySelector("tbody");
    var wrap = document.createElement("div");
    wrap.className = "scroll";
    var table = list.querySelector("table");
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
    var inputs = {};
    list.querySelectorAll("[data-filter]").forEach(function (el) { inputs[el.dataset.filter] = el; });
    var count = list.querySelector("[data-count]");
    function cell(text) {
      var td = document.createElement("td");
      td.textContent = text;
      return td;
    }
    function render() {
      var symbol = inputs.symbol.value.trim().toUpperCase();
      var side = inputs.side.value, from = inputs.from.value, to = inputs.to.value;
      var shown = data.rows.filter(function (r) {
        return (!symbol || r[1].toUpperCase().indexOf(symbol) >= 0) &&
          (!side || r[2] === side) && (!from || r[0] >= from) && (!to || r[0] <= to);
      });
      var fragment = document.createDocumentFragment();
      shown.forEach(function (r) {
        var tr = document.createElement("tr");
        var th = document.createElement("th");
        th.textContent = r[0];
        tr.appendChild(th);
        tr.appendChild(cell(r[1]));
        tr.appendChild(cell(data.sides[r[2]] || r[2]));
        tr.appendChild(cell(money(r[3], 0)));
        tr.appendChild(cell(money(r[4], 3)));
        tr.appendChild(cell(money(r[5], 2)));
        tr.appendChild(cell(money(r[6], 2)));
        fragment.appendChild(tr);
      });
      body.replaceChildren(fragment);
      count.textContent = data.shown.replace("{shown}", shown.length).replace("{total}", data.rows.length);
    }
    Object.keys(inputs).forEach(function (key) { inputs[key].addEventListener("input", render); });
    render();
  });
})();
